/// The stylesheet, served as /inbox.css so the Content-Security-Policy can forbid inline style.
enum InboxStyle {
    static let css = """
        *{box-sizing:border-box}
        body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;color:#1d2733;background:#f3f5f8}
        .bar{display:flex;justify-content:space-between;align-items:center;padding:12px 24px;background:#1f3b5a;color:#fff}
        .brand{font-size:18px}.brand strong{letter-spacing:.02em}
        .who{display:flex;gap:16px;align-items:center;font-size:14px}.who form{margin:0}
        main{max-width:1040px;margin:24px auto;padding:0 24px}
        footer{max-width:1040px;margin:24px auto 40px;padding:0 24px;color:#5b6776;font-size:13px}
        h1{font-size:22px;margin:8px 0 16px}h2{font-size:17px;margin:24px 0 8px}
        .count{font-size:15px;font-weight:normal;color:#5b6776;margin-left:8px}
        .card{background:#fff;border:1px solid #d8dee6;border-radius:8px;padding:24px 28px}
        .login{max-width:420px;margin:48px auto}
        .hint{color:#44505e;margin-top:0}
        label{display:block;font-weight:600;margin:14px 0 4px}.optional{font-weight:normal;color:#5b6776}
        input{width:100%;padding:9px 10px;font-size:16px;border:1px solid #aab4c0;border-radius:5px}
        input:focus{outline:2px solid #2d6cdf;border-color:#2d6cdf}
        button{margin-top:20px;width:100%;padding:10px;font-size:16px;font-weight:600;color:#fff;background:#1f5fbf;border:0;border-radius:5px;cursor:pointer}
        button.link{margin:0;width:auto;padding:4px 10px;font-size:14px;background:transparent;border:1px solid #9fb3c8;color:#fff}
        .problem{background:#fdecea;border:1px solid #e0a9a2;color:#8a1c10;padding:10px 12px;border-radius:5px}
        .banner{padding:14px 18px;border-radius:8px;margin-bottom:20px;border:1px solid}
        .banner.down{background:#fff4e0;border-color:#e8b35c;color:#5c3b00}
        .banner.up{background:#e8f6ec;border-color:#8cc79d;color:#1c4d2a}
        .banner.unknown{background:#eaf1fb;border-color:#a9c1e4;color:#1f3b5a}
        table.messages{width:100%;border-collapse:collapse;background:#fff;border:1px solid #d8dee6;border-radius:8px}
        .messages th{text-align:left;font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#5b6776;padding:10px 14px;border-bottom:1px solid #d8dee6}
        .messages td{padding:10px 14px;border-bottom:1px solid #eceff3;vertical-align:top;overflow-wrap:anywhere}
        .messages td.date{white-space:nowrap;color:#44505e}.size{text-align:right;white-space:nowrap}
        a{color:#1f5fbf}a:hover{color:#123f85}
        .empty{background:#fff;border:1px dashed #c4ccd6;padding:24px;border-radius:8px;color:#44505e}
        .journal{font-size:12px;color:#5b6776;border:1px solid #c4ccd6;border-radius:4px;padding:0 4px;margin-left:6px}
        .pages{display:flex;gap:18px;justify-content:center;margin:18px 0}
        .headers{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0 0 18px;font-size:15px}
        .headers dt{color:#5b6776}.headers dd{margin:0;overflow-wrap:anywhere}
        pre.text{white-space:pre-wrap;overflow-wrap:anywhere;font:15px/1.55 ui-monospace,"DejaVu Sans Mono","Liberation Mono",monospace;background:#f8f9fb;border:1px solid #e3e7ec;border-radius:6px;padding:16px;margin:0}
        .note{background:#eaf1fb;border:1px solid #a9c1e4;padding:8px 12px;border-radius:5px;font-size:14px}
        .attachments{padding-left:20px}.meta{color:#5b6776;font-size:14px}
        .back{margin:0 0 12px}.download{margin:20px 0 0;font-size:14px}
        """
}
