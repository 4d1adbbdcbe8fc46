"""Demo data: a believable café's six months (`plans`), lived through the services by `seeding`."""
from campaigns.demo.plans import CAMPAIGNS
from campaigns.demo.seeding import DEMO_USERS, describe, describe_logins, seed

__all__ = ["CAMPAIGNS", "DEMO_USERS", "describe", "describe_logins", "seed"]
