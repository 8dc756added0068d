#!/bin/sh
# Every healthcheck command of the catalog resolves here inside the stand-in: ask its own server.
exec wget -q -O /dev/null "http://127.0.0.1:${STANDIN_PORT:-8080}${STANDIN_PATH:-/}"
