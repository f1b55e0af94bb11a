"""nianbao: watch government sites for their annual open-government-information reports."""

__version__ = "0.1.0"
