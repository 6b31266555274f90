package org.cil4j.serve;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.cil4j.serve.client.CilClient;

/** A service in a child JVM ({@link ServeMain}), to kill with SIGKILL. */
final class ChildService implements AutoCloseable {
    final Process process;
    final List<String> lines = new CopyOnWriteArrayList<>();
    int port = -1;
    String token;

    /**
     * @param home the home folder
     * @param db a PostgreSQL URL, or null for SQLite under the home folder
     */
    ChildService(Path home, String db) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        process = new ProcessBuilder(
                        java,
                        "-Xmx1g",
                        "-cp",
                        System.getProperty("java.class.path"),
                        ServeMain.class.getName(),
                        home.toString(),
                        "0",
                        db == null ? "" : db)
                .redirectErrorStream(true)
                .start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (java.io.IOException e) {
                // the process died
            }
        });
        reader.setDaemon(true);
        reader.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (port < 0 && System.nanoTime() < end && process.isAlive()) {
            for (String l : lines) {
                if (l.startsWith("ADMIN-TOKEN ")) {
                    token = l.substring(12).trim();
                } else if (l.startsWith("PORT ")) {
                    port = Integer.parseInt(l.substring(5).trim());
                }
            }
            Thread.sleep(50);
        }
        if (port < 0) {
            throw new IllegalStateException("the child service did not start: " + String.join("\n", lines));
        }
    }

    CilClient client(String tok) {
        return new CilClient("http://127.0.0.1:" + port, tok);
    }

    void kill() throws InterruptedException {
        process.destroyForcibly(); // SIGKILL: no shutdown hook runs
        process.waitFor(30, TimeUnit.SECONDS);
    }

    boolean logged(String part) {
        return lines.stream().anyMatch(l -> l.contains(part));
    }

    /** SIGTERM and up to 30 s for it; interrupted, it kills the child at once and keeps the interrupt. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
