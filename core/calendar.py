"""Calendar constants shared by every layer."""

from __future__ import annotations

__all__ = ["TRADING_DAYS"]

#: Trading days per year: the one annualisation factor, for display and for annual targets
#: (variance stays daily everywhere else).
TRADING_DAYS = 252
