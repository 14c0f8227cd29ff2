"""Jieban (捷办): a work-order platform for residents' complaints and disputes."""
