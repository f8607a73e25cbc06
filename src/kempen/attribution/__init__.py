"""Attribution: which campaigns and channels earned each conversion, under several models."""
