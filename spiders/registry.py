"""Finding a site's spider: a Python spider in ``spiders/sites/`` by name, else NewsSpider."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import scrapy

from spiders.news import NewsSpider

__all__ = ["SITES_PACKAGE", "site_spiders", "spider_for"]

#: The package holding one module per site that needs code.
SITES_PACKAGE = "spiders.sites"


def site_spiders(package: str = SITES_PACKAGE) -> dict[str, type[scrapy.Spider]]:
    """The spider classes defined in ``package``'s modules, by their ``name``.

    Two spiders claiming one name is an error naming both modules.
    """
    found: dict[str, type[scrapy.Spider]] = {}
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(root.__path__, prefix=f"{package}."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, scrapy.Spider) and cls.__module__ == module.__name__
                    and getattr(cls, "name", None)):
                if cls.name in found and found[cls.name] is not cls:
                    raise ValueError(
                        f"two spiders are named {cls.name!r}: "
                        f"{found[cls.name].__module__} and {cls.__module__}"
                    )
                found[cls.name] = cls
    return found


def spider_for(site_name: str, package: str = SITES_PACKAGE) -> type[scrapy.Spider]:
    """The spider class for ``site_name``: its Python spider if there is one, else NewsSpider."""
    return site_spiders(package).get(site_name, NewsSpider)
