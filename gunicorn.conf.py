"""gunicorn's settings for Reciprocate (README, "Running in production"): `gunicorn 'app:create_app()'` reads this
file from the working folder. Every line of the access log ends with the request's id, the one the app answers in
`X-Request-Id` and writes on its own log lines (campaigns/web/request_ids.py)."""
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
graceful_timeout = 20
# gunicorn 27's control socket sits at one path in the home folder: two servers on one machine (make run beside
# make nodes, or two nodes) would take it from each other, and nothing here uses it.
control_socket_disable = True
