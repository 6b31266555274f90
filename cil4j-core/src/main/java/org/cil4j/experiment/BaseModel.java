package org.cil4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;

/**
 * A first phase trained once and shared by several runs, as the LUCIR and PODNet code bases do
 * (their base model is saved and loaded for every method), so that a comparison of methods
 * differs only in the incremental phases and spends the base training's time once.
 *
 * <p>Every run with an output folder keeps the network after its first phase in {@code
 * OUT/base/}, a checkpoint folder (manifest with the config, SHA-256-checked weights). A run
 * with {@code baseFrom} set to such a run folder (or to a checkpoint folder written after the
 * first phase) loads those weights instead of training its first phase; the method still does
 * what it does after a phase (herding, reserved samples, the old-model snapshot) and the phase is
 * evaluated as usual. The result is the one the run would have had by training the phase
 * itself, bit for bit at the same thread count, when the base is compatible: same seed, data,
 * model, training recipe, first-phase classes, and the same first-phase loss ({@link
 * org.cil4j.method.Method#baseRecipe}). The setting, the later phases and the method's own
 * parameters may differ, since the first phase does not read them.
 */
public final class BaseModel {
    /** The folder of a run that holds its first phase's network. */
    public static final String DIR = "base";

    private BaseModel() {}

    /**
     * A base ready to load.
     *
     * @param dir the checkpoint folder it was read from
     * @param checkpoint its verified manifest and files
     * @param firstPhaseClasses classes of its single head
     * @param sha256 SHA-256 of its weights file, for the provenance
     */
    public record Loaded(Path dir, CheckpointStore.Loaded checkpoint, int firstPhaseClasses, String sha256) {
        /** @return the network weights after the first phase */
        byte[] weights() {
            return checkpoint.file(Checkpointing.START);
        }
    }

    /**
     * Reads and checks a base.
     *
     * @param from a run folder holding {@code base/}, or a checkpoint folder taken after phase 1
     * @param now the config of the run that wants it
     * @param force accept the differences (logged by the caller)
     * @param warn receives the differences when forced
     * @return the base
     */
    public static Loaded open(Path from, JsonNode now, boolean force, java.util.function.Consumer<String> warn) {
        Path dir = locate(from);
        CheckpointStore.Loaded ck = CheckpointStore.read(dir);
        if (ck.manifest().phase() != 1
                || ck.files().containsKey(Checkpointing.CURRENT)
                || ck.manifest().heads() == null
                || ck.manifest().heads().size() != 1
                || !ck.files().containsKey(Checkpointing.START)) {
            throw new CilException("baseFrom " + from + ": " + dir + " is not the state after a first phase (it is a "
                    + "checkpoint of phase " + (ck.manifest().phase() + 1) + "); point it at a run folder or at the "
                    + "checkpoint written when phase 1 ended");
        }
        List<String> diff = differences(ck.manifest().config(), now);
        if (!diff.isEmpty()) {
            String list = String.join("\n  ", diff);
            if (!force) {
                throw new CilException("baseFrom " + from + ": its first phase was trained differently from this run's "
                        + "(use --force to load it anyway). Differences that change the first phase:\n  " + list);
            }
            warn.accept("baseFrom " + from + " was trained differently; loading it anyway (--force):\n  " + list);
        }
        return new Loaded(
                dir,
                ck,
                ck.manifest().heads().get(0),
                ck.manifest().files().get(Checkpointing.START).sha256());
    }

    /**
     * @param from a run folder or a checkpoint folder
     * @return the checkpoint folder to read
     */
    static Path locate(Path from) {
        if (Files.isRegularFile(from.resolve(DIR).resolve(CheckpointStore.MANIFEST))) {
            return from.resolve(DIR);
        }
        if (Files.isRegularFile(from.resolve(CheckpointStore.MANIFEST))) {
            return from;
        }
        if (!Files.isDirectory(from)) {
            throw new CilException("baseFrom " + from + ": no such folder");
        }
        throw new CilException("baseFrom " + from + ": neither a run folder with a finished first phase (" + DIR + "/"
                + CheckpointStore.MANIFEST + ") nor a checkpoint folder (" + CheckpointStore.MANIFEST + ")");
    }

    /**
     * What changes a first phase between two configs: seed, data, model, training recipe, the
     * scenario's class order and first-phase size, and the method's first-phase loss.
     *
     * @param base the config the base was trained with
     * @param now the config of the run that wants it
     * @return one line per difference, empty when the base fits
     */
    public static List<String> differences(JsonNode base, JsonNode now) {
        return Experiment.configChanges(firstPhaseView(base), firstPhaseView(now));
    }

    private static JsonNode firstPhaseView(JsonNode raw) {
        ExperimentConfig c = ConfigLoader.bind(((ObjectNode) raw).deepCopy(), "the config of the base");
        JsonNode cfg = ConfigLoader.MAPPER.valueToTree(c);
        ObjectNode v = ConfigLoader.MAPPER.createObjectNode();
        for (String k : List.of("seed", "data", "model", "train")) {
            v.set(k, cfg.get(k).deepCopy());
        }
        ((ObjectNode) v.get("train")).remove("evalBatchSize");
        ObjectNode sc = cfg.get("scenario").deepCopy();
        // the setting and later phases do not change phase 1 (its single head sees no task mask);
        // the first phase's size is checked against the base's head after the scenario resolves
        for (String k : List.of("setting", "increment", "phases", "base", "testPerClass")) {
            sc.remove(k);
        }
        v.set("scenario", sc);
        v.put("method.baseRecipe", Methods.create(c.method()).baseRecipe());
        return v;
    }

    /**
     * Keeps the first phase's checkpoint as the run's base (atomically: a crash leaves no
     * partial base).
     *
     * @param out the run folder
     * @param checkpoint the checkpoint written after the first phase
     */
    static void keep(Path out, Path checkpoint) {
        Path target = out.resolve(DIR);
        Path tmp = out.resolve(".tmp-" + DIR);
        try {
            CheckpointStore.deleteTree(tmp);
            Files.createDirectories(tmp);
            try (var files = Files.list(checkpoint)) {
                for (Path f : files.toList()) {
                    Files.copy(f, tmp.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            CheckpointStore.deleteTree(target);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CilException("cannot keep the first phase's network in " + target + ": " + e.getMessage(), e);
        }
    }
}
