"""Invariants over a whole run: accounting, talent, shares, statuses, no NaN."""

import numpy as np
import pytest

from market_sim import MarketModel
from market_sim.agents import ACQUIRED, EXITED, BigTech, Consumer, EnterpriseBuyer, Startup


class Recording(MarketModel):
    """Checks the invariants after every month, not only at the end."""

    def step(self):
        talent_before = self.vendors.headcount.sum() + self.market.talent_pool
        super().step()
        # every RMB a buyer spends is exactly some vendor's API revenue
        v = self.vendors
        assert self.buyers.spend.sum() == pytest.approx(v.api_revenue.sum(), rel=1e-12)
        # each vendor's cash change = revenue - costs + funding
        change = v.cash - v.cash_start
        np.testing.assert_allclose(change, v.revenue - v.costs + v.funding, rtol=1e-9, atol=1e-3)
        # talent is neither created nor destroyed (moves, hires, layoffs, exits, acquisitions)
        assert self.vendors.headcount.sum() + self.market.talent_pool == talent_before == self.market.total_talent
        assert (self.vendors.headcount >= 0).all() and self.market.talent_pool >= 0


@pytest.fixture(scope="module")
def model(small_config):
    m = Recording(small_config.model_copy(update={}), rng=3)
    while m.running:
        m.step()
    return m


def test_accounting_and_talent_hold_every_month(model):
    assert model.month == model.cfg.run.months


def test_tables_shares_in_unit_interval_and_no_nan(model):
    vendor, market, events = model.tables()
    for col in ("consumer_share", "enterprise_share"):
        assert vendor[col].between(0, 1).all()
        sums = vendor.groupby("month")[col].sum()
        assert np.allclose(sums[sums > 0], 1.0)
    numeric = vendor.select_dtypes("number")
    assert not numeric.isna().any().any()
    assert np.isfinite(numeric.to_numpy(float)).all()
    assert not market.drop(columns=["month"]).isna().any().any()
    assert (vendor["api_price"] >= 0).all() and (vendor["runway_months"] >= 0).all()


def test_table_accounting_matches(model):
    vendor, market, _ = model.tables()
    np.testing.assert_allclose(vendor["cash_rmb"] - vendor["cash_start_rmb"],
                               vendor["revenue_rmb"] - vendor["costs_rmb"] + vendor["funding_rmb"], rtol=1e-9, atol=1e-3)
    assert (market["total_talent"] == model.market.total_talent).all()


def test_exits_are_final_and_silent(model):
    vendor, _, _ = model.tables()
    for vid, g in vendor.groupby("vendor"):
        status = g.sort_values("month_index")["status"].tolist()
        if "exited" in status or "acquired" in status:
            first = min(i for i, s in enumerate(status) if s in ("exited", "acquired"))
            assert set(status[first:]) == {status[first]}, vid
            after = g.sort_values("month_index").iloc[first + 1:]
            assert (after[["revenue_rmb", "costs_rmb", "mau", "headcount"]] == 0).all().all(), vid
    gone = np.isin(model.vendors.status, [EXITED, ACQUIRED])
    assert not np.isin(model.consumers.vendor, np.flatnonzero(gone)).any()


def test_agents_are_mesa_agents_viewing_their_rows(model):
    by_type = model.agents_by_type
    assert len(by_type[Consumer]) == model.cfg.scale.consumers
    assert len(by_type[EnterpriseBuyer]) == model.cfg.scale.enterprises
    assert len(by_type[BigTech]) + len(by_type[Startup]) == model.vendors.size
    c = by_type[Consumer].select(lambda a: a.row == 5)[0]
    assert c.vendor == model.consumers.vendor[5]
    v = by_type[Startup].select(lambda a: a.vendor_id == "moonshot")[0]
    assert v.cash == model.vendors.cash[v.row] and v.name == "Moonshot"


def test_long_tail_mostly_smaller_than_named_vendors(model):
    vt = model.vendors
    assert vt.headcount[vt.long_tail].mean() < vt.headcount[~vt.long_tail].mean()
