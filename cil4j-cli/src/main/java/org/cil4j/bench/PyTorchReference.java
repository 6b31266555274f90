package org.cil4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs bench/pytorch_resnet32.py as a subprocess with the first Python that imports torch.
 */
final class PyTorchReference {
    /**
     * What the script measured.
     *
     * @param version torch version
     * @param train training images/s per repeat
     * @param infer inference images/s per repeat
     * @param trainPeakMb peak RSS while training
     * @param inferPeakMb peak RSS during inference
     * @param python the interpreter used
     */
    record Result(
            String version,
            List<Double> train,
            List<Double> infer,
            long trainPeakMb,
            long inferPeakMb,
            String python) {}

    private PyTorchReference() {}

    /**
     * @param script the script, or null to look for bench/pytorch_resnet32.py upwards from here
     * @param python an interpreter, or null to try python3 and /usr/bin/python3
     * @param o the options
     * @param why receives the reason when nothing ran
     * @return the result, or null when no Python with torch or no script was found
     */
    static Result run(Path script, String python, BenchOptions o, StringBuilder why) {
        Path s = script != null ? script : findScript();
        if (s == null || !Files.isRegularFile(s)) {
            why.append("bench/pytorch_resnet32.py not found (run from the repository or pass --pytorch-script)");
            return null;
        }
        String py = python != null ? python : findPython();
        if (py == null) {
            why.append("no python3 that imports torch (install Debian's python3-torch)");
            return null;
        }
        List<String> cmd = List.of(
                py,
                s.toString(),
                "--threads",
                Integer.toString(o.threads()),
                "--warmup",
                Integer.toString(o.warmup()),
                "--iterations",
                Integer.toString(o.iterations()),
                "--repeats",
                Integer.toString(o.repeats()),
                "--batch",
                Integer.toString(o.batch()),
                "--eval-batch",
                Integer.toString(o.evalBatch()),
                "--classes",
                Integer.toString(Bench.CLASSES));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT);
            // The reference runs with the system allocator: do not hand it our tcmalloc preload.
            pb.environment().remove("LD_PRELOAD");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                why.append(py)
                        .append(" ")
                        .append(s)
                        .append(" failed (exit ")
                        .append(p.isAlive() ? "timeout" : p.exitValue())
                        .append(")");
                p.destroyForcibly();
                return null;
            }
            String last = out.strip();
            last = last.substring(last.lastIndexOf('\n') + 1);
            JsonNode j = new ObjectMapper().readTree(last);
            return new Result(
                    j.get("torch").asText() + ", " + j.get("threads").asInt() + " threads",
                    list(j.get("train")),
                    list(j.get("infer")),
                    j.get("train_peak_mb").asLong(),
                    j.get("infer_peak_mb").asLong(),
                    py);
        } catch (IOException e) {
            why.append("could not run ").append(py).append(": ").append(e.getMessage());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why.append("interrupted");
            return null;
        }
    }

    private static List<Double> list(JsonNode a) {
        List<Double> out = new ArrayList<>();
        a.forEach(n -> out.add(n.asDouble()));
        return out;
    }

    private static Path findScript() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path s = dir.resolve("bench").resolve("pytorch_resnet32.py");
            if (Files.isRegularFile(s)) {
                return s;
            }
            dir = dir.getParent();
        }
        return null;
    }

    private static String findPython() {
        for (String py : List.of("python3", "/usr/bin/python3")) {
            try {
                Process p = new ProcessBuilder(py, "-c", "import torch")
                        .redirectErrorStream(true)
                        .start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return py;
                }
                p.destroyForcibly();
            } catch (IOException e) {
                // not there: try the next one
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }
}
