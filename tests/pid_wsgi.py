"""The example project's WSGI application, telling which worker process answered (a test aid)."""

import os

from example_project.wsgi import application as example_application


def application(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Worker-Pid", str(os.getpid()))], exc_info)

    return example_application(environ, start)
