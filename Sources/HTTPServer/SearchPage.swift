import Engine
import Foundation
import QuarryCore
import Search

/// The search page: a form whose fields live in the URL (so a result page can
/// be shared) and the results rendered on the server, so it works with
/// JavaScript off; a few lines of script only add conveniences.
struct SearchPage {
    let router: Router
    let request: HTTPRequest

    func response() -> HTTPResponse {
        var status = 200
        var body = ""
        let revisions = router.engine.team == nil ? (try? router.engine.revisionNames()) ?? [] : []
        if request.value("q") != nil {
            do {
                let search = try router.searchRequest(request)
                let started = monotonicSeconds()
                let response = try router.engine.search(search)
                body = results(response, query: search.query, seconds: monotonicSeconds() - started)
            } catch {
                status = HTTPResponse.status(for: error)
                body = "<p class=\"error\" id=\"error\">\(escape("\(error)"))</p>"
            }
        } else {
            body = "<p class=\"hint\">Ask in words (“where is auth handled”) or by identifiers.</p>"
        }
        return .html(page(form: form(revisions: revisions), body: body), status: status)
    }

    private func form(revisions: [String]) -> String {
        let query = request.value("q") ?? ""
        func options(_ values: [(String, String)], selected: String?) -> String {
            values.map { value, label in
                "<option value=\"\(escape(value))\"\(value == (selected ?? "") ? " selected" : "")>\(escape(label))</option>"
            }.joined()
        }
        let modes = SearchMode.allCases.map { ($0.rawValue, $0.rawValue) }
        let languages = [("", "any language")] + Language.allCases.map { ($0.rawValue, $0.rawValue) }
        let revisionChoices = [("", "default revision")] + revisions.map { ($0, $0) }
        let repository = router.engine.team == nil ? "" : "<input type=\"text\" name=\"repo\" value=\""
            + "\(escape(request.value("repo") ?? ""))\" placeholder=\"repository (all)\" aria-label=\"repository\">"
        let token = request.value("token").map { "<input type=\"hidden\" name=\"token\" value=\"\(escape($0))\">" } ?? ""
        return """
            <form method="get" action="/" role="search">
            <input type="search" name="q" value="\(escape(query))" placeholder="Search code" aria-label="query" autofocus>
            <select name="mode" aria-label="mode">\(options(modes, selected: request.value("mode") ?? "hybrid"))</select>
            <select name="lang" aria-label="language">\(options(languages, selected: request.value("lang")))</select>
            <input type="text" name="path" value="\(escape(request.value("path") ?? ""))" placeholder="path glob, e.g. src/**" aria-label="path">
            \(repository)<select name="rev" aria-label="revision">\(options(revisionChoices, selected: request.value("rev")))</select>
            \(token)<button type="submit">Search</button>
            </form>
            """
    }

    private func results(_ response: SearchResponse, query: String, seconds: Double) -> String {
        var html = "<p class=\"summary\" id=\"summary\">\(response.hits.count) result\(response.hits.count == 1 ? "" : "s") "
            + "for “\(escape(query))” in \(String(format: "%.0f", seconds * 1000)) ms</p>"
        for note in response.notes { html += "<p class=\"note\">\(escape(note))</p>" }
        html += "<ol id=\"results\">"
        for hit in response.hits {
            let chunk = hit.result.chunk
            let marked = Set(hit.result.relevantLines)
            let file = "/api/file?path=\(component(hit.result.path))&rev=\(component(hit.result.revision))"
                + "&start=\(chunk.startLine)&end=\(chunk.endLine)"
            let location = "\(escape(hit.repository.map { $0 + ":" } ?? ""))\(escape(hit.result.path)):"
                + "\(chunk.startLine)-\(chunk.endLine)"
            // A team database holds chunks, not files: nothing to link to.
            html += "<li class=\"result\"><div class=\"where\">" + (hit.repository == nil
                ? "<a class=\"location\" href=\"\(escape(file))\">\(location)</a>" : "<span class=\"location\">\(location)</span>")
            if !chunk.symbol.isEmpty { html += " <span class=\"symbol\">\(escape(chunk.symbol))</span>" }
            html += " <span class=\"tag\">\(chunk.language.rawValue) \(chunk.kind.rawValue)</span>"
                + " <span class=\"rev\">@\(escape(hit.result.revision))</span></div><pre><code>"
            for (offset, line) in chunk.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let number = chunk.startLine + offset
                // The newline stays inside the block element: one line each with styles, and still
                // one line each as plain preformatted text when styles are off.
                let text = "<span class=\"n\">\(number)</span>\(escape(String(line)))\n"
                html += marked.contains(number) ? "<mark class=\"line\">\(text)</mark>" : "<span class=\"line\">\(text)</span>"
            }
            html += "</code></pre></li>"
        }
        return html + "</ol>"
    }

    private func page(form: String, body: String) -> String {
        let title = request.value("q").map { "\(escape($0)) · Quarry" } ?? "Quarry"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>\(Self.style)</style></head>
            <body><header><h1><a href="/">Quarry</a></h1>\(form)</header>
            <main>\(body)</main>
            <script>\(Self.script)</script>
            </body></html>
            """
    }

    /// Served from the binary: no CDN, system fonts only.
    static let style = """
        body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
        header{background:#fff;border-bottom:1px solid #ddd;padding:12px 20px;display:flex;gap:16px;align-items:center;flex-wrap:wrap}
        h1{font-size:20px;margin:0}h1 a{color:#7a4b00;text-decoration:none}
        form{display:flex;gap:8px;flex-wrap:wrap;flex:1}
        input[type=search]{flex:1;min-width:260px;font-size:16px;padding:6px 8px}
        input,select,button{font:inherit;padding:5px 8px}
        main{padding:8px 20px 40px;max-width:1100px}
        .summary,.note,.hint{color:#555}.error{color:#b00020;font-weight:600}
        ol{list-style:none;padding:0}.result{background:#fff;border:1px solid #e2e2e2;border-radius:6px;margin:14px 0;overflow:hidden}
        .where{padding:8px 12px;border-bottom:1px solid #eee;display:flex;gap:10px;flex-wrap:wrap;align-items:baseline}
        .location{font-family:ui-monospace,monospace;color:#0b57d0}.symbol{font-weight:600}.tag,.rev{color:#666;font-size:13px}
        pre{margin:0;padding:8px 0;overflow-x:auto;font:13px/1.5 ui-monospace,monospace}
        .line,mark.line{display:block;padding:0 12px}mark.line{background:#fff3c4}
        .n{display:inline-block;width:4em;color:#999;user-select:none}
        """

    /// Conveniences only: "/" focuses the query, changing a filter searches again.
    static let script = """
        document.addEventListener('keydown',e=>{const q=document.querySelector('input[name=q]');
        if(e.key==='/'&&document.activeElement!==q){e.preventDefault();q.focus();q.select();}});
        document.querySelectorAll('select').forEach(s=>s.addEventListener('change',()=>{
        if(document.querySelector('input[name=q]').value.trim())s.form.submit();}));
        """

    private func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    private func component(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
