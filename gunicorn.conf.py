"""gunicorn's settings for HealthBank, read by gunicorn from the directory it is started in (docs/operations.md).

Only what every deployment needs; the command line keeps the rest (bind, workers, timeout, log files).
"""

# Its access and error lines pass the national-ID mask, as every other log line does.
logger_class = "healthbank.core.gunicornlog.MaskingLogger"
