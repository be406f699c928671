"""The crawl: Scrapy (and scrapy-playwright for render: js) driven by the configured sources. Only this package knows Scrapy."""
