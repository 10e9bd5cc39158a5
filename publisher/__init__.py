"""publisher: post a daily digest of ML paper notes as bilingual threads to X and Bluesky."""

__version__ = "0.1.0"
