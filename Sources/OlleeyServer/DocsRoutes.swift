import OlleeyHTTP
import OlleeyKit

/// `/docs`: the API for people, as FastAPI's `/docs` is for the reference server. One
/// self-contained page (inline CSS and script, no external assets, no network request): the
/// OpenAPI document is embedded in it and rendered by the page's script, grouped by tag, each
/// operation with its parameters, request body and success schema, and a filter box.
enum DocsRoutes {
    static func register(_ router: HTTPRouter, openapi: OpenAPIBox) {
        router.on("GET", "/docs", summary: "this API's documentation for people (HTML, self-contained)", tags: ["meta"], execution: .loop) { _, _ in
            var r = HTTPResponse.text(page(openapi.bytes), contentType: "text/html; charset=utf-8")
            r.headers.set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
            return r
        }
    }

    /// The page with `document` embedded (`</` escaped so it cannot end the script element).
    static func page(_ document: [UInt8]) -> String {
        let json = String(decoding: document, as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
        return head + "<script id=\"openapi\" type=\"application/json\">" + json + "</script>\n" + script + "</body></html>\n"
    }

    static let head = """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>olleey API</title>
    <style>
    body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1b1f;background:#fafafa}
    header{background:#1b1b1f;color:#fff;padding:16px 24px}header h1{margin:0;font-size:22px}header p{margin:4px 0 0;color:#c8c8d0}
    main{max-width:1100px;margin:0 auto;padding:16px 24px}
    #filter{width:100%;padding:8px 10px;font-size:15px;border:1px solid #bbb;border-radius:6px;margin:8px 0 16px;box-sizing:border-box}
    h2{font-size:18px;margin:24px 0 8px;text-transform:capitalize;border-bottom:1px solid #ddd;padding-bottom:4px}
    details.op{background:#fff;border:1px solid #ddd;border-radius:6px;margin:6px 0}
    details.op>summary{cursor:pointer;padding:8px 10px;list-style:none;display:flex;gap:10px;align-items:baseline}
    .m{font:600 12px ui-monospace,monospace;padding:2px 6px;border-radius:4px;color:#fff;min-width:54px;text-align:center}
    .GET{background:#2f6fb3}.POST{background:#2e8b57}.PUT{background:#b5792a}.PATCH{background:#7a55b5}.DELETE{background:#b33a3a}
    .p{font:14px ui-monospace,monospace}.s{color:#555}.lock{color:#888;font-size:12px}
    .body{padding:4px 14px 12px}pre{background:#f3f3f6;padding:8px;border-radius:4px;overflow:auto;font-size:12.5px}
    table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;font-size:13px;text-align:left}
    </style></head><body>
    <header><h1 id="title">olleey API</h1><p id="info"></p></header>
    <main><input id="filter" placeholder="Filter by path, method, tag or summary" aria-label="filter"><div id="ops"></div></main>

    """

    static let script = """
    <script>
    (function(){
    var doc=JSON.parse(document.getElementById('openapi').textContent);
    var schemas=(doc.components&&doc.components.schemas)||{};
    function el(t,a,c){var e=document.createElement(t);if(a)for(var k in a)e.setAttribute(k,a[k]);(c||[]).forEach(function(x){e.appendChild(typeof x==='string'?document.createTextNode(x):x)});return e}
    function deref(s,seen){if(!s)return s;if(s.$ref){var n=s.$ref.split('/').pop();if((seen||[]).indexOf(n)>=0)return {title:n};return deref(schemas[n],(seen||[]).concat([n]))}
      var o={};for(var k in s){var v=s[k];if(k==='properties'){o[k]={};for(var p in v)o[k][p]=deref(v[p],seen)}else if(k==='items'){o[k]=deref(v,seen)}else o[k]=v}return o}
    document.getElementById('title').textContent=(doc.info&&doc.info.title||'API')+' '+(doc.info&&doc.info.version||'');
    document.getElementById('info').textContent=(doc.info&&doc.info.description)||'';
    var groups={};Object.keys(doc.paths||{}).sort().forEach(function(path){var ops=doc.paths[path];
      Object.keys(ops).forEach(function(m){var op=ops[m];var tag=(op.tags&&op.tags[0])||'other';(groups[tag]=groups[tag]||[]).push({path:path,method:m.toUpperCase(),op:op})})});
    var root=document.getElementById('ops');
    Object.keys(groups).sort().forEach(function(tag){
      var sec=el('section',{'data-tag':tag},[el('h2',null,[tag])]);
      groups[tag].forEach(function(x){
        var op=x.op,body=el('div',{'class':'body'});
        if(op.parameters&&op.parameters.length){var t=el('table',null,[el('tr',null,[el('th',null,['parameter']),el('th',null,['in']),el('th',null,['required'])])]);
          op.parameters.forEach(function(p){t.appendChild(el('tr',null,[el('td',null,[p.name]),el('td',null,[p['in']]),el('td',null,[p.required?'yes':'no'])]))});body.appendChild(t)}
        if(op.requestBody){var c=op.requestBody.content||{};Object.keys(c).forEach(function(ct){body.appendChild(el('p',null,['Request body ('+ct+'):']));
          body.appendChild(el('pre',null,[JSON.stringify(deref(c[ct].schema),null,2)]))})}
        Object.keys(op.responses||{}).forEach(function(code){if(code==='default')return;var r=op.responses[code],c=r.content||{};
          body.appendChild(el('p',null,['Response '+code+': '+(r.description||'')]));
          Object.keys(c).forEach(function(ct){body.appendChild(el('pre',null,[JSON.stringify(deref(c[ct].schema),null,2)]))})});
        var sum=el('summary',null,[el('span',{'class':'m '+x.method},[x.method]),el('span',{'class':'p route'},[x.path]),el('span',{'class':'s'},[op.summary||'']),
          op.security?el('span',{'class':'lock'},['(auth)']):el('span')]);
        var d=el('details',{'class':'op','data-route':x.method+' '+x.path,'data-text':(x.method+' '+x.path+' '+tag+' '+(op.summary||'')).toLowerCase()},[sum,body]);
        sec.appendChild(d)});
      root.appendChild(sec)});
    document.getElementById('filter').addEventListener('input',function(e){var q=e.target.value.toLowerCase();
      Array.prototype.forEach.call(document.querySelectorAll('details.op'),function(d){d.style.display=d.getAttribute('data-text').indexOf(q)>=0?'':'none'})});
    })();
    </script>

    """
}
