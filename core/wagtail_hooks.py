from wagtail import hooks

from core.logins import LOCKED_OUT_ACTION


@hooks.register("register_log_actions")
def register_core_log_actions(actions):
    actions.register_action(LOCKED_OUT_ACTION, "Locked out after repeated wrong passwords", "Locked out")
