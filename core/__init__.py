"""What every app shares, and nothing else: who is calling (owners and the caller's ceilings),
problem errors with their HTTP meaning, quota refusals, and the store TASK_STORE chose. It
depends on Django alone; every app imports it, and it imports none of them."""
