"""The example project's WSGI application, saying how many SQL queries each request made.

``X-Queries`` (a bench aid, ``bench/scale_out.py``): counted with ``connection.execute_wrapper``
around the request, so a burst of database reads (a stampede) shows per request.
"""

from django.db import connection

from example_project.wsgi import application as example_application


def application(environ, start_response):
    count = [0]

    def counted(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Queries", str(count[0]))], exc_info)

    with connection.execute_wrapper(counted):
        return example_application(environ, start)
