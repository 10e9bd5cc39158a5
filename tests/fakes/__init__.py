"""Test doubles that speak the platforms' wire protocols, the local PDS driver and the browser
helper: used by the tests and benchmarks, never shipped in the wheel."""
