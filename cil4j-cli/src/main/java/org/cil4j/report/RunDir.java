package org.cil4j.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.cil4j.CilException;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.RunResult;
import org.cil4j.train.EpochRecord;

/**
 * One run as found on disk: its {@code results.json} and, when present, its {@code
 * epochs.jsonl}.
 *
 * @param dir the run folder
 * @param result the parsed result
 * @param epochs the epoch log, empty when the folder has none
 */
public record RunDir(Path dir, RunResult result, List<EpochRecord> epochs) {
    /** @return the file holding a run's result */
    static Path resultsFile(Path dir) {
        return dir.resolve("results.json");
    }

    /**
     * Reads one run folder.
     *
     * @param dir a folder holding results.json
     * @return the run
     */
    public static RunDir load(Path dir) {
        Path res = resultsFile(dir);
        RunResult r;
        try {
            r = ConfigLoader.MAPPER.readValue(res.toFile(), RunResult.class);
        } catch (IOException e) {
            throw new CilException("cannot read " + res + ": " + e.getMessage(), e);
        }
        if (r.phases().isEmpty() || r.cnn() == null || r.cnn().phases() == 0) {
            throw new CilException(res + " holds no evaluated phase");
        }
        List<EpochRecord> epochs = new ArrayList<>();
        Path log = dir.resolve("epochs.jsonl");
        if (Files.exists(log)) {
            try {
                for (String line : Files.readAllLines(log)) {
                    if (!line.isBlank()) {
                        epochs.add(ConfigLoader.MAPPER.readValue(line, EpochRecord.class));
                    }
                }
            } catch (IOException e) {
                throw new CilException("cannot read " + log + ": " + e.getMessage(), e);
            }
        }
        return new RunDir(dir, r, List.copyOf(epochs));
    }

    /**
     * Finds the runs under the given paths: a path that holds results.json is one run;
     * otherwise every folder below it (up to three levels) that holds one is, in name order
     * (so {@code cil report runs/demo} reads all the demo's runs).
     *
     * @param paths run folders or folders of run folders
     * @return the runs, in the order given
     */
    public static List<RunDir> find(List<Path> paths) {
        List<RunDir> runs = new ArrayList<>();
        for (Path p : paths) {
            if (Files.isRegularFile(resultsFile(p))) {
                runs.add(load(p));
                continue;
            }
            if (!Files.isDirectory(p)) {
                throw new CilException("no such run folder: " + p);
            }
            List<Path> found;
            try (Stream<Path> s = Files.find(
                    p,
                    4,
                    (f, a) -> a.isRegularFile() && f.getFileName().toString().equals("results.json"))) {
                found = s.map(Path::getParent).sorted().toList();
            } catch (IOException e) {
                throw new CilException("cannot list " + p + ": " + e.getMessage(), e);
            }
            if (found.isEmpty()) {
                throw new CilException(p + " holds no results.json (is it a run folder?)");
            }
            found.forEach(d -> runs.add(load(d)));
        }
        return runs;
    }
}
