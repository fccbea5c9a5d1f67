import pytest
pytestmark = pytest.mark.django_db(transaction=True)
def test_probe(page, live_server, demo_world, login):
    login(page, live_server, "demo_creator")
    page.set_viewport_size({"width": 390, "height": 844})
    for url in ["/funds/", "/funds/?tab=statement", "/funds/?tab=pending"]:
        page.goto(f"{live_server.url}{url}")
        print(url, page.evaluate("""() => { const out=[]; for (const el of document.querySelectorAll('body *')) { const r=el.getBoundingClientRect(); if (r.right>391 && r.width>0) out.push(el.tagName+'.'+el.className+' '+Math.round(r.left)+'-'+Math.round(r.right)+' '+(el.innerText||'').slice(0,40)); } return out.slice(0,12).join('\\n') + '\\nscrollW=' + document.documentElement.scrollWidth; }"""))
