"""--app for the idle tests: an app that waits - microdot listening (routed, on the tunnel too) and
nothing asked of it; no timer of its own."""
from tests import testlib

testlib.ensure()

from microdot import Microdot  # noqa: E402

app = Microdot()


@app.route("/")
async def index(request):
    return "idle"


async def main(wg):
    await app.start_server(port=80)
