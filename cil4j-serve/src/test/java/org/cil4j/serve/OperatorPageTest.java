package org.cil4j.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cil4j.data.ImageDataset;
import org.cil4j.serve.client.CilClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operators' page in a real browser (headless Chromium, Debian package {@code chromium}):
 * after two short phases on Fashion-MNIST, the page opened with the token and classifier in its
 * address shows the classes with their counts, the storage against the budget, every version
 * with its accuracy, status and the accuracy chart, the last phase, and an API error with its
 * status and field. A screenshot goes to {@code target/operator-page/}. Skipped when no chromium
 * is installed.
 */
class OperatorPageTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PER_CLASS = 60;
    private static final String NO_CHROMIUM = "chromium not found (set CHROMIUM or install the Debian package "
            + "'chromium'); skipping the browser test of the operators' page";

    @TempDir
    static Path tmp;

    private static String chromium;
    private static CilServer server;
    private static String base;
    private static String token;
    private static CilClient client;

    /** One server for both tests: "fashion" after two phases with Coat pending, "forms" after one phase. */
    @BeforeAll
    static void serve() {
        chromium = chromium();
        if (chromium == null) {
            return;
        }
        server = CilServer.start(CilServer.Options.of(tmp.resolve("home"), 0));
        base = "http://127.0.0.1:" + server.port();
        token = server.firstAdminToken().orElseThrow();
        client = new CilClient(base, token);
        create("fashion");
        train("fashion", new int[] {0, 1});
        train("fashion", new int[] {2, 3});
        upload("fashion", new int[] {4}); // Coat: pending, not learned yet
        create("forms");
        train("forms", new int[] {0, 1});
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void thePageShowsClassesStorageVersionsAndTheLastPhase() throws Exception {
        assumeTrue(chromium != null, NO_CHROMIUM);
        Page page = open(chromium, base + "/#token=" + token + "&classifier=fashion", "ok");
        String dom = page.dom();
        assertTrue(dom.contains("<body data-state=\"ready\">"), "the page rendered everything:\n" + page);
        assertFalse(dom.contains(token), "the token is not written into the page");

        JsonNode storage = client.storage("fashion");
        for (JsonNode cl : storage.path("classes")) {
            String row =
                    element(dom, "tr", "data-class-id=\"" + cl.path("classId").asInt() + "\"");
            assertTrue(row.contains(escape(cl.path("class").asText())), "class name in its row: " + row);
            for (String k : List.of("keptSamples", "validationSamples", "pendingSamples")) {
                assertTrue(
                        row.contains(">"
                                + String.format(Locale.ROOT, "%,d", cl.path(k).asLong()) + "<"),
                        k + " of " + cl.path("class").asText() + " in " + row);
            }
        }
        assertTrue(element(dom, "tr", "data-class-id=\"4\"").contains("not yet"), "Coat is pending, not learned");
        assertTrue(
                dom.contains("<strong id=\"kept-bytes\">"
                        + String.format(
                                Locale.ROOT, "%,d", storage.path("keptBytes").asLong()) + "</strong>"),
                "kept bytes shown");
        assertTrue(
                dom.contains("<strong id=\"budget-bytes\">"
                        + String.format(
                                Locale.ROOT, "%,d", storage.path("budgetBytes").asLong()) + "</strong>"),
                "budget shown");
        assertTrue(dom.contains("role=\"meter\""), "the storage bar");

        JsonNode versions = client.versions("fashion").path("versions");
        assertEquals(2, versions.size());
        String chart = element(dom, "svg", "id=\"accuracy-chart\"");
        for (JsonNode v : versions) {
            String status = v.path("active").asBoolean()
                    ? "active"
                    : v.at("/metrics/gate/passed").asBoolean() ? "inactive" : "candidate";
            String row =
                    element(dom, "tr", "data-version=\"" + v.path("version").asInt() + "\"");
            assertTrue(
                    row.contains("data-status=\"" + status + "\""),
                    "v" + v.path("version") + " is " + status + ": " + row);
            String acc = String.format(
                    Locale.ROOT, "%.1f%%", v.at("/metrics/accuracy").asDouble());
            assertTrue(row.contains(acc), "accuracy " + acc + " in " + row);
            assertEquals(
                    !v.path("active").asBoolean(),
                    row.contains(">Activate</button>"),
                    "Activate unless active: " + row);
            assertTrue(
                    chart.contains("data-version=\"" + v.path("version").asInt() + "\" data-status=\"" + status + "\""),
                    "the chart marks v" + v.path("version") + " " + status + ": " + chart);
        }
        assertEquals(2, count(chart, "<g class=\"series phase\""), "a line per phase's classes: " + chart);
        assertEquals(2, count(chart, "<polyline"), "all classes and phase 1's classes over two versions: " + chart);

        JsonNode jobs = client.jobs("fashion").path("jobs");
        String last = jobs.get(jobs.size() - 1).path("id").asText();
        assertTrue(dom.contains("data-job=\"" + last + "\" data-state=\"done\""), "the last phase is shown done");
        assertTrue(element(dom, "dl", "id=\"job\"").contains("v2"), "the last phase made v2");

        Path shots = Files.createDirectories(Path.of("target", "operator-page"));
        Path shot = shots.resolve("page.png");
        Files.deleteIfExists(shot);
        open(
                chromium,
                base + "/#token=" + token + "&classifier=fashion",
                "shot",
                "--screenshot=" + shot.toAbsolutePath(),
                "--window-size=1280,1600");
        assertTrue(Files.size(shot) > 20_000, "a screenshot with content: " + Files.size(shot) + " bytes");

        // an API error shows its status, field and message
        String bad = open(chromium, base + "/#token=not-a-token&classifier=fashion", "bad")
                .dom();
        assertTrue(bad.contains("<body data-state=\"error\">"), bad);
        String alert = element(bad, "div", "id=\"error\"");
        assertTrue(
                alert.contains("<strong>401</strong>")
                        && alert.contains("<code>Authorization</code>")
                        && alert.contains("send a valid token"),
                alert);
    }

    /**
     * The forms as an operator uses them, through WebDriver (Debian package {@code chromium-driver}):
     * an upload of three images, a prediction, an upload the service refuses, a phase started and
     * followed to its new version, and a rollback.
     */
    @Test
    void theFormsUploadPredictTrainAndActivate() throws Exception {
        assumeTrue(chromium != null, NO_CHROMIUM);
        String driver = executable("CHROMEDRIVER", "/usr/bin/chromedriver");
        assumeTrue(
                driver != null,
                "chromedriver not found (set CHROMEDRIVER or install the Debian package "
                        + "'chromium-driver'); skipping the browser test of the operators' page's forms");
        ImageDataset test = FashionImages.data().test();
        Path files = Files.createDirectories(tmp.resolve("files"));
        List<String> coats = new ArrayList<>();
        for (byte[] png : FashionImages.png(test, 4, 0, 3)) {
            Path f = files.resolve("coat-" + coats.size() + ".png");
            Files.write(f, png);
            coats.add(f.toString());
        }
        Path trouser = Files.write(
                files.resolve("trouser.png"), FashionImages.png(test, 1, 0, 1).get(0));
        Path notAnImage = Files.writeString(files.resolve("broken.png"), "not an image");

        try (WebDriver b = WebDriver.start(driver, chromium, tmp.resolve("profile-forms"))) {
            b.go(base + "/#token=" + token + "&classifier=forms");
            b.await("document.body.dataset.state === 'ready'");
            assertEquals(
                    base + "/#classifier=forms", b.js("return location.href").asText(), "the token leaves the address");

            b.type("#upload-files", String.join("\n", coats));
            b.type("#upload-label", "Coat");
            b.type("#upload-source", "user-7");
            b.click("#upload-form button");
            b.await("document.getElementById('upload-result').textContent !== ''");
            assertTrue(
                    b.text("#upload-result").startsWith("Stored 3 samples of “Coat” (class id 2)"),
                    b.text("#upload-result"));
            b.await("document.querySelector('tr[data-class-id=\"2\"]') !== null");
            assertEquals(
                    3, client.storage("forms").at("/classes/2/pendingSamples").asInt());

            b.type("#predict-file", trouser.toString());
            b.click("#predict-form button");
            b.await("document.getElementById('predict-result').textContent !== ''");
            assertEquals("v1", b.text("#answered-by"), b.text("#predict-result"));
            assertEquals(
                    2,
                    b.js("return document.querySelectorAll('#predict-table tbody tr').length")
                            .asInt(),
                    "top 3 of the two classes v1 knows: " + b.text("#predict-result"));

            b.type("#upload-files", notAnImage.toString());
            b.type("#upload-label", "Coat");
            b.click("#upload-form button");
            b.await("document.querySelector('#upload-result .error') !== null");
            String refused = b.js("return document.querySelector('#upload-result .error').innerHTML")
                    .asText();
            assertTrue(refused.startsWith("<strong>400</strong> <code>samples[0].image</code>: "), refused);

            b.click("#start-phase");
            b.await("document.querySelectorAll('#versions-table tbody tr').length === 2", Duration.ofSeconds(90));
            b.await("document.getElementById('phase-result').textContent === 'The phase made v2.'");
            assertEquals(
                    "done",
                    b.js("return document.getElementById('job').dataset.state").asText());
            assertEquals(2, client.versions("forms").path("versions").size());

            int active = client.versions("forms").at("/versions/1/active").asBoolean() ? 2 : 1;
            int other = 3 - active;
            b.click("tr[data-version=\"" + other + "\"] button");
            b.await("document.querySelector('tr[data-version=\"" + other + "\"]').dataset.status === 'active'");
            assertEquals(
                    other,
                    client.send("GET", "/v1/classifiers/forms", null)
                            .path("activeVersion")
                            .asInt(),
                    "the Activate button made v" + other + " the active version");
        }
    }

    private static void create(String name) {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("name", name);
        spec.put("preset", "fmnist");
        spec.putObject("train").put("epochs", 1);
        spec.put("storageBudgetBytes", 60L * 28 * 28);
        client.createClassifier(spec);
    }

    private static void train(String name, int[] labels) {
        upload(name, labels);
        try {
            JsonNode job = client.awaitJob(client.startPhase(name).path("id").asText(), Duration.ofMinutes(3));
            assertEquals("done", job.path("state").asText(), job.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Uploads each class in one JSON request, as CilClient does. */
    private static void upload(String name, int[] labels) {
        ImageDataset d = FashionImages.data().train();
        for (int label : labels) {
            List<CilClient.Sample> out = new ArrayList<>();
            for (byte[] png : FashionImages.png(d, label, 0, PER_CLASS)) {
                out.add(new CilClient.Sample(d.classNames().get(label), png, "user-" + (out.size() % 5), null));
            }
            client.upload(name, out);
        }
    }

    /** What Chromium printed: the DOM after the page settled ({@code --dump-dom}) and its log. */
    private record Page(String dom, String log) {
        @Override
        public String toString() {
            return dom + "\n--- chromium's log ---\n" + log;
        }
    }

    /**
     * Loads a page in headless Chromium and dumps its DOM once the page's requests are answered
     * (virtual time runs until the network is idle, up to the budget).
     */
    private static Page open(String chromium, String url, String name, String... extra) throws Exception {
        Path profile = Files.createDirectories(tmp.resolve("profile-" + name));
        List<String> cmd = new ArrayList<>(List.of(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=20000"));
        cmd.addAll(List.of(extra));
        if (extra.length == 0) {
            cmd.add("--dump-dom");
        }
        cmd.add(url);
        Path out = tmp.resolve(name + ".html");
        Path err = tmp.resolve(name + ".log");
        Process p = new ProcessBuilder(cmd)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished within 120 s");
        } finally {
            p.destroyForcibly();
        }
        String log = Files.readString(err, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "chromium's exit status; its log:\n" + log);
        assertFalse(log.contains("Uncaught"), "no script error on the page:\n" + log);
        return new Page(Files.readString(out, StandardCharsets.UTF_8), log);
    }

    /** The first element {@code <tag ...attr...>...</tag>} in the DOM (no nesting of the same tag). */
    private static String element(String dom, String tag, String attr) {
        Matcher m = Pattern.compile(
                        "<" + tag + "\\b[^>]*" + Pattern.quote(attr) + "[^>]*>.*?</" + tag + ">", Pattern.DOTALL)
                .matcher(dom);
        assertTrue(m.find(), "<" + tag + " " + attr + "> in the page:\n" + dom);
        return m.group();
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String chromium() {
        return executable("CHROMIUM", "/usr/bin/chromium");
    }

    /** The program the environment variable names, else the Debian package's, else null. */
    private static String executable(String env, String debian) {
        String e = System.getenv(env);
        if (e != null && new File(e).canExecute()) {
            return e;
        }
        return new File(debian).canExecute() ? debian : null;
    }

    /** A W3C WebDriver session on chromedriver, over the JDK's HTTP client. */
    private static final class WebDriver implements AutoCloseable {
        private static final HttpClient HTTP = HttpClient.newHttpClient();
        private final Process driver;
        private final String session;

        private WebDriver(Process driver, String session) {
            this.driver = driver;
            this.session = session;
        }

        static WebDriver start(String chromedriver, String chromium, Path profile) throws Exception {
            Process p = new ProcessBuilder(chromedriver, "--port=0")
                    .redirectErrorStream(true)
                    .start();
            try {
                BufferedReader r =
                        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                Pattern started = Pattern.compile("started successfully on port (\\d+)");
                String line;
                String port = null;
                while (port == null && (line = r.readLine()) != null) {
                    Matcher m = started.matcher(line);
                    port = m.find() ? m.group(1) : null;
                }
                assertTrue(port != null, "chromedriver started");
                Thread drain = new Thread(() -> r.lines().forEach(l -> {}));
                drain.setDaemon(true);
                drain.start();
                String url = "http://127.0.0.1:" + port;
                ObjectNode caps = JSON.createObjectNode();
                ObjectNode opts = caps.putObject("capabilities")
                        .putObject("alwaysMatch")
                        .put("browserName", "chrome")
                        .putObject("goog:chromeOptions")
                        .put("binary", chromium);
                for (String a : List.of(
                        "--headless",
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-quic",
                        "--no-first-run",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--disable-sync",
                        "--window-size=1280,1400",
                        "--user-data-dir=" + profile)) {
                    opts.withArray("args").add(a);
                }
                JsonNode s = send("POST", url + "/session", caps);
                return new WebDriver(p, url + "/session/" + s.path("sessionId").asText());
            } catch (Exception | Error e) {
                p.destroyForcibly();
                throw e;
            }
        }

        private static JsonNode send(String method, String url, JsonNode body) throws Exception {
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json");
            rb.method(
                    method,
                    body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body.toString()));
            HttpResponse<String> r = HTTP.send(rb.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode v = JSON.readTree(r.body()).path("value");
            if (r.statusCode() != 200) {
                throw new IllegalStateException(method + " " + url + ": "
                        + v.path("error").asText() + ": " + v.path("message").asText());
            }
            return v;
        }

        JsonNode call(String method, String path, JsonNode body) throws Exception {
            return send(method, session + path, body);
        }

        void go(String url) throws Exception {
            call("POST", "/url", JSON.createObjectNode().put("url", url));
        }

        JsonNode js(String script) throws Exception {
            ObjectNode b = JSON.createObjectNode().put("script", script);
            b.putArray("args");
            return call("POST", "/execute/sync", b);
        }

        void await(String condition) throws Exception {
            await(condition, Duration.ofSeconds(20));
        }

        void await(String condition, Duration timeout) throws Exception {
            long end = System.nanoTime() + timeout.toNanos();
            while (!js("return !!(" + condition + ")").asBoolean()) {
                assertTrue(
                        System.nanoTime() < end,
                        "within " + timeout + ": " + condition + "; the page says:\n"
                                + js("return document.body.innerText").asText());
                Thread.sleep(100);
            }
        }

        private String element(String css) throws Exception {
            JsonNode e = call(
                    "POST",
                    "/element",
                    JSON.createObjectNode().put("using", "css selector").put("value", css));
            return e.elements().next().asText();
        }

        /** Types into a field, or chooses files (paths separated by newlines) in a file input. */
        void type(String css, String text) throws Exception {
            String e = element(css);
            if (!js("return document.querySelector('" + css + "').type")
                    .asText()
                    .equals("file")) {
                call("POST", "/element/" + e + "/clear", JSON.createObjectNode());
            }
            call("POST", "/element/" + e + "/value", JSON.createObjectNode().put("text", text));
        }

        void click(String css) throws Exception {
            call("POST", "/element/" + element(css) + "/click", JSON.createObjectNode());
        }

        String text(String css) throws Exception {
            return call("GET", "/element/" + element(css) + "/text", null).asText();
        }

        @Override
        public void close() {
            try {
                send("DELETE", session, null);
            } catch (Exception e) {
                // the driver is stopped anyway
            }
            driver.destroy();
            try {
                if (!driver.waitFor(10, TimeUnit.SECONDS)) {
                    driver.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                driver.destroyForcibly();
            }
        }
    }
}
