package org.cil4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cil4j.CilException;

/**
 * One {@code cil serve} replica run as a child process of this JVM, with this JVM's class path,
 * for {@code cil bench serve --replicas}: started on a free port of the loopback and stopped
 * with the benchmark. Its log goes to {@code replica-N.log} in the shared home folder.
 *
 * @param index which replica (from 0)
 * @param process the child
 * @param port where it listens
 * @param token the admin token, printed by the replica that made the database's first token
 */
record Replica(int index, Process process, int port, Optional<String> token) implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("^cil serve: http://localhost:(\\d+)/");
    private static final Pattern TOKEN = Pattern.compile("^admin token \\(shown once, keep it\\): (\\S+)");

    static Replica start(Path home, String db, int index, int threads, int maxBatch, long maxDelayMs)
            throws IOException {
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(
                javaBin,
                "-Xmx2g",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "serve",
                "--home",
                home.toString(),
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--db",
                db,
                "--threads",
                Integer.toString(threads),
                "--max-batch",
                Integer.toString(maxBatch),
                "--max-delay-ms",
                Long.toString(maxDelayMs)));
        Path log = home.resolve("replica-" + (index + 1) + ".log");
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        CompletableFuture<Integer> port = new CompletableFuture<>();
        CompletableFuture<String> token = new CompletableFuture<>();
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = r.readLine()) != null; ) {
                            Files.writeString(
                                    log,
                                    line + System.lineSeparator(),
                                    StandardCharsets.UTF_8,
                                    java.nio.file.StandardOpenOption.CREATE,
                                    java.nio.file.StandardOpenOption.APPEND);
                            Matcher t = TOKEN.matcher(line);
                            if (t.find()) {
                                token.complete(t.group(1));
                            }
                            Matcher m = LISTENING.matcher(line);
                            if (m.find()) {
                                token.complete(null); // no token line came before it: not the first start
                                port.complete(Integer.parseInt(m.group(1)));
                            }
                        }
                    } catch (IOException e) {
                        port.completeExceptionally(e);
                    }
                    port.completeExceptionally(new IOException("the replica ended"));
                },
                "cil4j-replica-" + (index + 1));
        reader.setDaemon(true);
        reader.start();
        try {
            return new Replica(index, p, port.get(180, TimeUnit.SECONDS), Optional.ofNullable(token.getNow(null)));
        } catch (InterruptedException | java.util.concurrent.ExecutionException | TimeoutException e) {
            p.destroyForcibly();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new CilException("replica " + (index + 1) + " did not start within 180 s; its log: " + log + " ("
                    + e.getClass().getSimpleName() + ")");
        }
    }

    /** @return the child's peak resident memory so far (VmHWM), or -1 where the system does not say */
    long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * Stops the replica: SIGTERM, then SIGKILL after 30 s. Interrupted while waiting, it kills the
     * child at once and keeps the interrupt, so that closing the next replica is not skipped.
     */
    @Override
    public void close() {
        process.destroy(); // SIGTERM: the service's shutdown hook closes it
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
