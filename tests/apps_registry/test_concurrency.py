import threading
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from apps_registry import services
from apps_registry.models import Api, App
from tests.factories import AppFactory

THREADS = 16


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_parallel_creates_one_short_of_the_limit_make_exactly_one_app(demo, settings):
    """16 requests race for the last free place: one wins, fifteen get a clean refusal, and the
    database never reports an error (lock on the owner row; BEGIN IMMEDIATE on SQLite)."""
    settings.APP_LIMIT_PER_ACCOUNT = 5
    owner = demo["organization"]
    for _ in range(4):
        AppFactory(owner=owner)
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def create(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            services.app_create(
                actor=owner,
                owner=owner,
                api=Api.SYSTEMAPI,
                name=f"Racer {n}",
                homepage="https://race.example/",
                email="dev@race.example",
                redirect_uri="https://race.example/cb",
                origin=services.Origin("portal", "127.0.0.1"),
            )
            outcomes.append("created")
        except ValidationError as error:
            outcomes.append(error.code)
        except Exception as error:
            outcomes.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert Counter(outcomes) == {"created": 1, "app_limit_reached": THREADS - 1}
    assert App.objects.filter(owner=owner).count() == 5
