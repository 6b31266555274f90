package org.cil4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ComparisonTest {
    @TempDir
    Path tmp;

    @Test
    void runsDifferingOnlyInSeedOrClassOrderShareARowAndTheOtherDifferencesAreSpelledOut() throws Exception {
        RunDir ft1 = Fixtures.write(tmp.resolve("ft1"), Fixtures.run("ft-s1", List.of("seed=1"), Fixtures.FT, null));
        RunDir ft2 = Fixtures.write(
                tmp.resolve("ft2"),
                Fixtures.run("ft-s2", List.of("seed=2", "scenario.orderSeed=7"), Fixtures.FT2, null));
        RunDir joint = Fixtures.write(
                tmp.resolve("joint"),
                Fixtures.run("joint", List.of("method.name=joint", "train.epochs=3"), Fixtures.JOINT, null));

        Comparison c = Comparison.of(List.of(ft1, ft2, joint));

        assertEquals(2, c.groups().size());
        assertEquals(List.of(ft1, ft2), c.groups().get(0).runs());
        double a1 = ft1.result().summary().averageIncremental();
        double a2 = ft2.result().summary().averageIncremental();
        double[] ms = c.groups().get(0).meanStd(r -> r.summary().averageIncremental());
        assertEquals((a1 + a2) / 2, ms[0], 1e-9);
        assertEquals(Math.abs(a1 - a2) / Math.sqrt(2), ms[1], 1e-9, "sample standard deviation of two runs");
        assertTrue(Double.isNaN(c.groups().get(1).meanStd(r -> r.summary().last())[1]), "one run has no spread");

        assertEquals("method.name: finetune vs joint; train.epochs: 8 vs 3", c.describeDifferences());
        String t = c.table();
        assertTrue(t.contains("| method=finetune, train.epochs=8 | 2 |"), t);
        assertTrue(t.contains(String.format(java.util.Locale.ROOT, "%.2f ± %.2f", ms[0], ms[1])), t);
        assertTrue(t.contains("mean ± sd over seed 1, 2; scenario.orderSeed 1993, 7"), t);
    }

    @Test
    void oneConfigIsLabelledByItsName() throws Exception {
        RunDir a = Fixtures.write(
                tmp.resolve("a"), Fixtures.run("icarl-b2", List.of("seed=1"), Fixtures.FT, Fixtures.JOINT));
        Comparison c = Comparison.of(List.of(a));
        assertEquals("", c.describeDifferences());
        assertTrue(c.table().startsWith("| config |"));
        assertTrue(c.table().contains("| icarl-b2 | 1 |"), c.table());
        assertTrue(c.table().contains("One config."));
    }
}
