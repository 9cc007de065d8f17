"""The messages screen: the in-app inbox (with the bell's count) and the search of SMS sent to customers."""
