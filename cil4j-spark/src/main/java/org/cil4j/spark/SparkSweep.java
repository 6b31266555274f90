package org.cil4j.spark;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.TaskContext;
import org.apache.spark.TaskKilledException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.cil4j.CilException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.Sweep;

/**
 * A sweep on Spark: each cell is one task (one partition each). The task looks at the cell's
 * folder ({@link Sweep#prepare}: complete cells are skipped, stopped ones resume from their
 * newest checkpoint) and runs the cell in a child JVM of the executor, because DJL's PyTorch
 * engine allows one gradient collector per JVM and an executor runs several tasks at once.
 * The child gets the task's cores as engine threads (when the config leaves {@code threads}
 * at 0) and dies with its executor; when it fails or is killed the task fails, Spark runs it
 * again, and the new attempt resumes the cell from its checkpoint.
 */
final class SparkSweep {
    private SparkSweep() {}

    /** Spark conf key: JVM options of each cell's child JVM. */
    static final String CELL_JAVA_OPTS = "spark.cil4j.cellJavaOptions";

    /** One cell as a task carries it: plain strings, so that it serializes. */
    record CellTask(String name, String configJson, String runDir, String command, String javaOpts)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        /** Runs in the executor. @return what {@link Sweep#prepare} said of the folder */
        String run() throws IOException, InterruptedException {
            ObjectNode tree = (ObjectNode) ConfigLoader.MAPPER.readTree(configJson);
            ExperimentConfig cfg = ConfigLoader.bind(tree, "sweep cell " + name);
            Path dir = Path.of(runDir);
            String status = Sweep.prepare(dir, cfg);
            TaskContext tc = TaskContext.get();
            System.err.printf("cil sweep: %s: %s (attempt %d)%n", name, status, tc == null ? 0 : tc.attemptNumber());
            if (Sweep.skipped(status)) {
                return status;
            }
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            for (String o : javaOpts.trim().split("\\s+", -1)) { // empty parts are skipped below
                if (!o.isEmpty()) {
                    cmd.add(o);
                }
            }
            if (System.getProperty("ai.djl.offline") != null) {
                cmd.add("-Dai.djl.offline=" + System.getProperty("ai.djl.offline"));
            }
            if (cfg.threads() == 0) {
                cmd.add("-Dai.djl.pytorch.num_threads=" + (tc == null ? 1 : tc.cpus()));
            }
            cmd.add("-cp");
            cmd.add(classPath());
            cmd.add(Sweep.class.getName());
            cmd.add(runDir);
            cmd.add(status);
            cmd.add(command);
            Process p = new ProcessBuilder(cmd)
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT)
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            try {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(configJson.getBytes(StandardCharsets.UTF_8));
                }
                while (!p.waitFor(1, TimeUnit.SECONDS)) {
                    if (tc != null && tc.isInterrupted()) {
                        throw new TaskKilledException("sweep cell " + name + ": the task was killed");
                    }
                }
                int rc = p.exitValue();
                if (rc != 0) {
                    throw new IllegalStateException("sweep cell " + name + ": its JVM exited with status " + rc
                            + " (its log is in the executor's stderr); Spark runs the task again, and it resumes from"
                            + " the cell's newest checkpoint");
                }
            } finally {
                p.destroyForcibly(); // the task was killed or interrupted: so is its cell
            }
            return status;
        }

        /** The executor's class path, and the jar (spark-submit's) that holds cil4j when it is not on it. */
        private static String classPath() {
            String cp = System.getProperty("java.class.path");
            try {
                String own = Path.of(Sweep.class
                                .getProtectionDomain()
                                .getCodeSource()
                                .getLocation()
                                .toURI())
                        .toString();
                return List.of(cp.split(File.pathSeparator)).contains(own) ? cp : own + File.pathSeparator + cp;
            } catch (java.net.URISyntaxException | RuntimeException e) {
                return cp;
            }
        }
    }

    /**
     * @return what was said of each cell, in the order of the cells
     */
    static List<String> run(SparkSession s, Sweep sweep, String command) {
        String opts = s.sparkContext().getConf().get(CELL_JAVA_OPTS, "-Xmx2g");
        List<CellTask> tasks = new ArrayList<>();
        for (Sweep.Cell c : sweep.cells()) {
            try {
                tasks.add(new CellTask(
                        c.name(),
                        ConfigLoader.MAPPER.writeValueAsString(c.config()),
                        sweep.root().toAbsolutePath().resolve(c.name()).toString(),
                        command,
                        opts));
            } catch (JsonProcessingException e) {
                throw new CilException("cannot write the config of sweep cell " + c.name() + ": " + e.getMessage(), e);
            }
        }
        System.err.printf(
                "cil sweep: %d cell(s) as Spark tasks at %s, results under %s%n",
                tasks.size(), s.sparkContext().master(), sweep.root());
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(s.sparkContext());
        List<String> statuses = sc.parallelize(tasks, Math.max(1, tasks.size()))
                .map(CellTask::run)
                .collect();
        for (int i = 0; i < tasks.size(); i++) {
            System.err.printf(
                    "[%d/%d] %s: %s%n", i + 1, tasks.size(), tasks.get(i).name(), statuses.get(i));
        }
        return statuses;
    }
}
