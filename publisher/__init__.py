"""publisher: post a daily digest of ML paper notes as bilingual threads to social platforms."""

__version__ = "0.1.0"
