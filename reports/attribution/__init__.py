"""Attribution (issue 18 item 5): which touches earned each conversion, by the model the marketer picks.

touches.py (what counts as a touch), conversions.py (what is credited), crediting.py (the models: how
one conversion's credit and amount are shared), selectors.py (a period's credit per channel, campaign,
content item and event). The screen is reports/views_attribution.py.
"""
