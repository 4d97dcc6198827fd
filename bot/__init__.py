"""容错纠错政策咨询机器人: a policy advisor on the cadre fault-tolerance mechanism."""

__version__ = "0.1.0"
