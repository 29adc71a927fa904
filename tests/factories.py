"""factory_boy factories: Administrator -> Service Provider -> Organization -> User -> App."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Account, Kind
from apps_registry.crypto import generate_credential
from apps_registry.models import Api, App, AppSecret


class AdministratorFactory(DjangoModelFactory):
    class Meta:
        model = Account

    kind = Kind.ADMINISTRATOR
    parent = None
    username = factory.Sequence(lambda n: f"account{n}")
    name = factory.LazyAttribute(lambda o: f"{o.username.title()} Inc.")
    email = factory.LazyAttribute(lambda o: f"{o.username}@accounts.example")
    password = factory.django.Password("password")


class ServiceProviderFactory(AdministratorFactory):
    kind = Kind.SERVICE_PROVIDER
    parent = factory.SubFactory(AdministratorFactory)


class OrganizationFactory(AdministratorFactory):
    kind = Kind.ORGANIZATION
    parent = factory.SubFactory(ServiceProviderFactory)


class UserFactory(AdministratorFactory):
    kind = Kind.USER
    parent = factory.SubFactory(OrganizationFactory)


class AppFactory(DjangoModelFactory):
    """An App written straight to the table (for fixtures); rules are tested through services."""

    class Meta:
        model = App
        skip_postgeneration_save = True

    owner = factory.SubFactory(OrganizationFactory)
    api = Api.SYSTEMAPI
    name = factory.Sequence(lambda n: f"App {n}")
    homepage = "https://app.example/"
    email = "developer@app.example"
    redirect_uri = "https://app.example/callback"

    @factory.post_generation
    def client_secret(app, create, extracted, **kwargs):
        """The App's one secret (`client_secret=...` to choose it), added by nobody."""
        secret = AppSecret(app=app)
        secret.secret = extracted or generate_credential()
        if create:
            secret.save()
        app.live_secrets = [secret]
