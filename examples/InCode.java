import java.util.List;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.cil4j.experiment.RunResult;
import org.cil4j.method.Lucir;

/** LUCIR on fmnist-5x2, the config built in code: typed sections and parameters, no JSON file. */
public class InCode {
    static ExperimentConfig config() {
        ExperimentConfig cfg = ExperimentConfig.defaults("fashion-mnist", "lucir");
        return cfg.withName("fmnist-5x2-lucir")
                .withScenario(cfg.scenario().withBase(2).withIncrement(2))
                .withModel(cfg.model().withArch("small-cnn").withClassifier("cosine").withLastRelu(false))
                .withTrain(cfg.train().withEpochs(3).withLr(0.05).withMilestones(List.of()))
                .withMethod(MethodConfig.typed("lucir", Methods.defaults(Lucir.Params.class)
                        .withMemoryPerClass(20).withBalancedFinetune(false)));
    }

    public static void main(String[] args) {
        RunResult result = new Experiment(config()).run();
        System.out.printf("LUCIR: average incremental accuracy %.2f%%%n", result.cnn().averageIncrementalAccuracy());
    }
}
