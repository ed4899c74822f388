# app.py - main.py runs it beside the client, routed: this page answers through the tunnel.
from microdot import Microdot

app = Microdot()
wg = None


@app.route("/")
async def index(request):
    return wg.status(), 200, {"Content-Type": "text/plain"}


async def main(client):  # client: the running tunnel (client.start's result)
    global wg
    wg = client
    await app.start_server(port=80)  # unmodified microdot: also on the tunnel address
