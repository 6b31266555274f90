package org.cil4j.serve.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.experiment.AtomicFiles;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.train.Normalization;

/**
 * What it takes to predict with a trained version, written as {@value #FILE} beside its
 * weights, so that a version folder ({@code HOME/classifiers/<id>/versions/<n>}) is enough to
 * score with it away from the service (the Spark module's {@code cil score}). The service writes
 * it when it commits a version and again when a class is forgotten.
 *
 * @param classifier the classifier's name
 * @param version the version's number
 * @param spec the classifier's spec (model, input size, channels, seed)
 * @param heads classes per head, in training order
 * @param norm the input normalization the version was trained with
 * @param classIds stable class id of each output, in head order
 * @param classNames class name of each output
 * @param forgotten whether each output's class was forgotten (it is never predicted)
 */
public record VersionManifest(
        String classifier,
        int version,
        ClassifierSpec spec,
        List<Integer> heads,
        Normalization norm,
        int[] classIds,
        String[] classNames,
        boolean[] forgotten) {
    /** The manifest's file name in a version folder. */
    public static final String FILE = "version.json";

    /**
     * Writes the manifest into a version folder (atomically: a reader sees the old or the new).
     *
     * @param dir the version folder
     */
    public void write(Path dir) {
        try {
            AtomicFiles.write(
                    dir.resolve(FILE),
                    ConfigLoader.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
        } catch (IOException e) {
            throw new CilException("cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /**
     * @param dir a version folder
     * @return its manifest
     * @throws CilException naming the folder when it is not a version folder
     */
    public static VersionManifest read(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f) || !Files.isRegularFile(dir.resolve(PhaseRunner.NET_FILE))) {
            throw new CilException(dir + " is not a trained version of cil serve (it has no " + FILE + " and "
                    + PhaseRunner.NET_FILE + "); give a folder HOME/classifiers/<id>/versions/<n>");
        }
        try {
            return ConfigLoader.MAPPER.readValue(f.toFile(), VersionManifest.class);
        } catch (IOException e) {
            throw new CilException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
