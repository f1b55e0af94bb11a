from tests.alerts.smtpkit import smtp_server  # noqa: F401  (fixture)
