"""Process modules used by the tests (loaded through ``settings.process_modules``)."""
