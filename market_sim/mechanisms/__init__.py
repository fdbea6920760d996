"""The four mechanisms (price war, feature catch-up, talent moves, financing) and the two
demand sides (consumer adoption, enterprise procurement), each as mostly pure functions over
numpy arrays so that each can be tested alone."""
