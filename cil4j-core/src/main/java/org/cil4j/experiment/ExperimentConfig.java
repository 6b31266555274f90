package org.cil4j.experiment;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.soabase.recordbuilder.core.RecordBuilder;
import org.cil4j.CilException;
import org.cil4j.model.ModelConfig;
import org.cil4j.scenario.ScenarioConfig;
import org.cil4j.train.TrainConfig;

/**
 * One experiment, complete: a result file holds it resolved, so it can be run again.
 *
 * @param name a label for the run
 * @param seed master seed; every random stream derives from it
 * @param device cpu, gpu or auto
 * @param threads engine threads (0: one per core)
 * @param data the images
 * @param scenario how classes arrive
 * @param model the network
 * @param train the optimization recipe per phase
 * @param method the method and its parameters
 * @param checkpoint when checkpoints are written
 * @param baseFrom a run folder (or a checkpoint folder taken after the first phase) whose
 *     first-phase network this run loads instead of training its own ({@link BaseModel}), or
 *     null
 * @param runPhases run only the first this many phases (0: all); the class order, the data and
 *     its normalization stay those of the whole scenario, so the phases run are exactly those of
 *     the whole run (for quick looks and ablations over the early phases)
 */
@RecordBuilder
public record ExperimentConfig(
        String name,
        long seed,
        String device,
        int threads,
        DataConfig data,
        ScenarioConfig scenario,
        ModelConfig model,
        TrainConfig train,
        MethodConfig method,
        CheckpointConfig checkpoint,
        String baseFrom,
        int runPhases)
        implements ExperimentConfigBuilder.With {

    /** Reads the record with defaults for optional sections. */
    @JsonCreator
    public static ExperimentConfig of(
            @JsonProperty("name") String name,
            @JsonProperty("seed") Long seed,
            @JsonProperty("device") String device,
            @JsonProperty("threads") Integer threads,
            @JsonProperty("data") DataConfig data,
            @JsonProperty("scenario") ScenarioConfig scenario,
            @JsonProperty("model") ModelConfig model,
            @JsonProperty("train") TrainConfig train,
            @JsonProperty("method") MethodConfig method,
            @JsonProperty("checkpoint") CheckpointConfig checkpoint,
            @JsonProperty("baseFrom") String baseFrom,
            @JsonProperty("runPhases") Integer runPhases) {
        if (data == null) {
            throw new CilException("the config has no 'data' section (data.dataset is required)");
        }
        if (method == null) {
            throw new CilException("the config has no 'method' section (method.name is required)");
        }
        return new ExperimentConfig(
                name == null ? method.name() : name,
                seed == null ? 1993L : seed,
                device == null ? "auto" : device,
                threads == null ? 0 : threads,
                data,
                scenario == null ? ScenarioConfig.of(null, null, null, null, null, null, null, null, null) : scenario,
                model == null ? new ModelConfig(null, (Boolean) null, null) : model,
                train == null ? TrainConfig.of(null, null, null, null, null, null, null, null, null) : train,
                method,
                checkpoint == null ? CheckpointConfig.of(null) : checkpoint,
                baseFrom == null || baseFrom.isBlank() ? null : baseFrom,
                runPhases == null ? 0 : runPhases);
    }

    /**
     * The config with every default, for building one in code: each section is a record with
     * typed withers ({@code withTrain(cfg.train().withEpochs(3))}), and a method's parameters
     * too ({@link Methods#defaults}, {@link MethodConfig#typed}). The result is
     * the same record a JSON config of the same values reads into.
     *
     * @param dataset a dataset name ({@code cil datasets})
     * @param method a method name ({@code cil methods}), with its default parameters
     * @return the config
     */
    public static ExperimentConfig defaults(String dataset, String method) {
        return of(
                null,
                null,
                null,
                null,
                DataConfig.of(dataset, null, null, null, null),
                null,
                null,
                null,
                MethodConfig.of(method, null),
                null,
                null,
                null);
    }

    /** Checks the values. */
    public ExperimentConfig {
        if (runPhases < 0) {
            throw new CilException("runPhases must be >= 0 (0: all phases), got " + runPhases);
        }
        if (threads < 0) {
            throw new CilException("threads must be >= 0, got " + threads);
        }
    }
}
