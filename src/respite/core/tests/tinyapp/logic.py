from respite.core.models import Organization


def available(organization: Organization) -> bool:
    return True


def purge() -> str:
    return "tiny rows purged: 3"
