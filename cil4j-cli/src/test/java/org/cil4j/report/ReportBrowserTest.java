package org.cil4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cil4j.experiment.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens a report in headless Chromium (Debian package {@code chromium}) through the DevTools
 * protocol: the page loads with no console error or exception, and every figure is an image
 * that decoded to a non-blank picture. Skipped when no chromium is installed.
 */
class ReportBrowserTest {
    @TempDir
    Path tmp;

    @Test
    void theReportLoadsInChromiumWithoutErrorsAndEveryFigureIsDrawn() throws Exception {
        String chromium = findChromium();
        assumeTrue(
                chromium != null,
                "chromium not found (set CHROMIUM or install the Debian package 'chromium'); "
                        + "skipping the browser test of the HTML report");
        RunDir a = Fixtures.write(tmp.resolve("runs/ft"), Fixtures.run("ft", List.of(), Fixtures.FT, null));
        RunDir b = Fixtures.write(
                tmp.resolve("runs/icarl"),
                Fixtures.run("icarl", List.of("method.name=icarl"), Fixtures.JOINT, Fixtures.FT2));
        Path page = Report.write(List.of(a, b), tmp.resolve("report"));

        Path profile = Files.createDirectories(tmp.resolve("profile"));
        Process p = new ProcessBuilder(
                        chromium,
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--no-first-run",
                        "--user-data-dir=" + profile,
                        "--remote-debugging-port=0",
                        "--window-size=1500,1200",
                        "about:blank")
                .redirectErrorStream(true)
                .start();
        try (Cdp cdp = Cdp.connect(p)) {
            String target = cdp.call(null, "Target.createTarget", obj().put("url", "about:blank"))
                    .get("targetId")
                    .asText();
            String s = cdp.call(
                            null,
                            "Target.attachToTarget",
                            obj().put("targetId", target).put("flatten", true))
                    .get("sessionId")
                    .asText();
            cdp.call(s, "Runtime.enable", obj());
            cdp.call(s, "Log.enable", obj());
            cdp.call(s, "Page.enable", obj());
            cdp.call(s, "Page.navigate", obj().put("url", page.toUri().toString()));
            cdp.awaitEvent("Page.loadEventFired", 30);

            JsonNode figs = ConfigLoader.MAPPER.readTree(cdp.evaluate(s, """
                    JSON.stringify([...document.querySelectorAll('figure img')].map(img => {
                      const c = document.createElement('canvas');
                      c.width = img.naturalWidth; c.height = img.naturalHeight;
                      const g = c.getContext('2d');
                      g.drawImage(img, 0, 0);
                      const d = g.getImageData(0, 0, c.width, c.height).data;
                      let ink = 0;
                      for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i+1] < 200 || d[i+2] < 200) ink++;
                      return {complete: img.complete, w: img.naturalWidth, h: img.naturalHeight, ink: ink,
                              shown: img.getBoundingClientRect().width};
                    }))""").asText());
            assertEquals(3 + 4 * 2, figs.size(), "figures on the page: " + figs);
            for (JsonNode f : figs) {
                assertTrue(
                        f.get("complete").asBoolean()
                                && f.get("w").asInt() == Charts.WIDTH
                                && f.get("h").asInt() == Charts.HEIGHT,
                        "figure decoded at its size: " + f);
                assertTrue(f.get("ink").asInt() > 2000, "figure has drawn content: " + f);
                assertTrue(f.get("shown").asDouble() > 100, "figure is laid out visibly: " + f);
            }
            assertTrue(
                    cdp.evaluate(s, "document.querySelectorAll('table tr').length")
                                    .asInt()
                            > 5,
                    "tables present");

            JsonNode metrics = cdp.call(s, "Page.getLayoutMetrics", obj());
            double h = metrics.get("cssContentSize").get("height").asDouble();
            ObjectNode clip = obj().put("x", 0)
                    .put("y", 0)
                    .put("width", 1500)
                    .put("height", h)
                    .put("scale", 1);
            JsonNode shot = cdp.call(
                    s,
                    "Page.captureScreenshot",
                    obj().put("format", "png")
                            .put("captureBeyondViewport", true)
                            .set("clip", clip));
            Path out = Path.of("target", "report-browser");
            Files.createDirectories(out);
            Files.write(
                    out.resolve("report.png"),
                    Base64.getDecoder().decode(shot.get("data").asText()));

            assertEquals(List.of(), cdp.errors(), "console errors and exceptions while loading the report");
        } finally {
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }

    private static ObjectNode obj() {
        return ConfigLoader.MAPPER.createObjectNode();
    }

    static String findChromium() {
        String env = System.getenv("CHROMIUM");
        if (env != null && new File(env).canExecute()) {
            return env;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator, -1)) {
            for (String name : List.of("chromium", "chromium-browser")) {
                File f = new File(dir, name);
                if (f.canExecute()) {
                    return f.getPath();
                }
            }
        }
        return null;
    }

    /** A minimal Chrome DevTools Protocol client over the JDK's WebSocket. */
    static final class Cdp implements AutoCloseable, WebSocket.Listener {
        private final BlockingQueue<JsonNode> inbox = new LinkedBlockingQueue<>();
        private final List<JsonNode> pending = new ArrayList<>();
        private final List<String> errors = new ArrayList<>();
        private final StringBuilder partial = new StringBuilder();
        private WebSocket ws;
        private int nextId = 1;

        static Cdp connect(Process chromium) throws Exception {
            BufferedReader r =
                    new BufferedReader(new InputStreamReader(chromium.getInputStream(), StandardCharsets.UTF_8));
            Pattern ws = Pattern.compile("DevTools listening on (ws://\\S+)");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            StringBuilder log = new StringBuilder();
            String line;
            while (System.nanoTime() < deadline && (line = r.readLine()) != null) {
                log.append(line).append('\n');
                Matcher m = ws.matcher(line);
                if (m.find()) {
                    Thread drain = new Thread(() -> r.lines().forEach(l -> {}));
                    drain.setDaemon(true);
                    drain.start();
                    Cdp c = new Cdp();
                    c.ws = HttpClient.newHttpClient()
                            .newWebSocketBuilder()
                            .buildAsync(URI.create(m.group(1)), c)
                            .get(30, TimeUnit.SECONDS);
                    return c;
                }
            }
            throw new IllegalStateException("chromium did not open DevTools:\n" + log);
        }

        @Override
        public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    inbox.add(ConfigLoader.MAPPER.readTree(partial.toString()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                partial.setLength(0);
            }
            w.request(1);
            return null;
        }

        JsonNode call(String session, String method, ObjectNode params) throws Exception {
            int id = nextId++;
            ObjectNode msg = obj().put("id", id).put("method", method);
            msg.set("params", params);
            if (session != null) {
                msg.put("sessionId", session);
            }
            ws.sendText(msg.toString(), true).get(30, TimeUnit.SECONDS);
            while (true) {
                JsonNode m = next(30);
                if (m.path("id").asInt(-1) == id) {
                    if (m.has("error")) {
                        throw new IllegalStateException(method + ": " + m.get("error"));
                    }
                    return m.get("result");
                }
                event(m);
            }
        }

        JsonNode evaluate(String session, String expression) throws Exception {
            JsonNode r = call(
                    session,
                    "Runtime.evaluate",
                    obj().put("expression", expression).put("returnByValue", true));
            if (r.has("exceptionDetails")) {
                throw new IllegalStateException("evaluation failed: " + r.get("exceptionDetails"));
            }
            return r.get("result").get("value");
        }

        void awaitEvent(String method, int seconds) throws Exception {
            for (JsonNode m : pending) {
                if (method.equals(m.path("method").asText())) {
                    return;
                }
            }
            while (true) {
                JsonNode m = next(seconds);
                event(m);
                if (method.equals(m.path("method").asText())) {
                    return;
                }
            }
        }

        List<String> errors() throws Exception {
            JsonNode m;
            while ((m = inbox.poll(200, TimeUnit.MILLISECONDS)) != null) {
                event(m);
            }
            return errors;
        }

        private void event(JsonNode m) {
            pending.add(m);
            String method = m.path("method").asText();
            JsonNode p = m.path("params");
            if (method.equals("Runtime.exceptionThrown")) {
                errors.add("exception: " + p.path("exceptionDetails"));
            } else if (method.equals("Runtime.consoleAPICalled")
                    && p.path("type").asText().equals("error")) {
                errors.add("console.error: " + p.path("args"));
            } else if (method.equals("Log.entryAdded")
                    && p.path("entry").path("level").asText().equals("error")) {
                errors.add("log: " + p.path("entry").path("text").asText() + " "
                        + p.path("entry").path("url").asText());
            }
        }

        private JsonNode next(int seconds) throws Exception {
            JsonNode m = inbox.poll(seconds, TimeUnit.SECONDS);
            if (m == null) {
                throw new IllegalStateException("no answer from chromium within " + seconds + " s");
            }
            return m;
        }

        @Override
        public void close() {
            try {
                ws.sendText(obj().put("id", 0).put("method", "Browser.close").toString(), true)
                        .get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the process is destroyed anyway
            }
            ws.abort();
        }
    }
}
