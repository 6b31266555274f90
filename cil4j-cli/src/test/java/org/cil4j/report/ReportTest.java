package org.cil4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.cil4j.CilException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @TempDir
    Path tmp;

    @Test
    void runsOfDifferentScenariosGoToSeparateSectionsWithTheirOwnFiguresAndTables() throws Exception {
        RunDir ft = Fixtures.write(tmp.resolve("runs/ft"), Fixtures.run("ft", List.of(), Fixtures.FT, null));
        RunDir icarl = Fixtures.write(
                tmp.resolve("runs/icarl"),
                Fixtures.run("icarl", List.of("method.name=icarl"), Fixtures.JOINT, Fixtures.FT2));
        RunDir other = Fixtures.write(
                tmp.resolve("runs/other"),
                Fixtures.run("ft-other-order", List.of("scenario.order=[0,1,2,3,4,5]"), Fixtures.FT2, null));

        assertEquals(2, Report.byScenario(List.of(ft, icarl, other)).size(), "another class order, another scenario");
        Path page = Report.write(RunDir.find(List.of(tmp.resolve("runs"))), tmp.resolve("report"));

        String html = Files.readString(page);
        assertEquals(2, count(html, "<section"));
        assertTrue(html.contains("different scenarios"));
        // 3 shared figures per section, 4 per run (matrix, training, two norm figures)
        assertEquals(3 + 4 * 2 + 3 + 4, count(html, "<img "));
        assertTrue(
                !html.contains("http://") && !html.contains("https://") && !html.contains("<script"),
                "no network, no script");
        int pngs = 0;
        try (var s = Files.list(tmp.resolve("report/figures"))) {
            for (Path f : s.toList()) {
                if (f.toString().endsWith(".png")) {
                    BufferedImage img = ImageIO.read(f.toFile());
                    assertEquals(Charts.WIDTH, img.getWidth(), f.toString());
                    pngs++;
                } else {
                    assertTrue(Files.readString(f).contains("<svg"), f.toString());
                }
            }
        }
        assertEquals(3 + 4 * 2 + 3 + 4, pngs);
        String csv = Files.readString(tmp.resolve("report/phases.csv"));
        assertEquals(1 + 3 * 3, csv.strip().split("\n").length, csv);
        assertTrue(csv.contains("1,ft,2,4,52.5000,52.5000,,10.0000,95.0000,80.0000,"), csv);
        assertTrue(Files.readString(tmp.resolve("report/summary.csv")).contains("1,icarl,icarl,"));
        String md = Files.readString(tmp.resolve("report/tables.md"));
        assertTrue(md.contains("## Scenario 2") && md.contains("| icarl | NME | 88.00 | 53.50 | 35.67 |"), md);
        // each phase's cost next to its accuracy
        assertTrue(md.contains("### Wall time and accuracy per phase"), md);
        assertTrue(md.contains("| ft | 2 | 4 | 1.0 | 0.1 | 100 | 52.50 | - |"), md);
        assertTrue(md.contains("| ft | all | | 3.0 | 0.3 | | avg "), md);
        assertTrue(csv.contains("1,ft,2,4,52.5000,52.5000,,10.0000,95.0000,80.0000,1.0000,0.1000,100\n"), csv);
    }

    @Test
    void eachPhaseIsReadAgainstWhenItWasLearnedAndAgainstAVariedSetting() throws Exception {
        Fixtures.write(tmp.resolve("runs/ft"), Fixtures.run("ft", List.of(), Fixtures.FT, null));
        // the talk's reserved-samples ablation: 0, 2 and the default 5 (not in the config)
        Fixtures.write(
                tmp.resolve("runs/r0"),
                Fixtures.run(
                        "r0", List.of("method.name=dr-dr", "method.params.reservedPerClass=0"), Fixtures.FT2, null));
        Fixtures.write(
                tmp.resolve("runs/r2"),
                Fixtures.run(
                        "r2", List.of("method.name=dr-dr", "method.params.reservedPerClass=2"), Fixtures.JOINT, null));
        Fixtures.write(
                tmp.resolve("runs/r5"),
                Fixtures.run("r5", List.of("method.name=dr-dr"), new double[][] {{90}, {70, 90}, {60, 65, 88}}, null));
        List<RunDir> runs =
                RunDir.find(List.of(tmp.resolve("runs/r5"), tmp.resolve("runs/r0"), tmp.resolve("runs/r2")));
        Report.write(runs, tmp.resolve("report"), "method.params.reservedPerClass");
        String md = Files.readString(tmp.resolve("report/tables.md"));
        // after the last phase, in the order of the values
        assertTrue(
                md.contains(
                        "After phase 3.\n\n| method.params.reservedPerClass | run | old phases, mean | new phase |"),
                md);
        int r0 = md.indexOf("| 0 | r0 | 6.50 | 94.00 |");
        int r2 = md.indexOf("| 2 | r2 | 82.00 | 90.00 |");
        int r5 = md.indexOf("| 5 | r5 | 62.50 | 88.00 |");
        assertTrue(r0 > 0 && r2 > r0 && r5 > r2, md);
        assertTrue(Files.exists(tmp.resolve("report/figures/s1-vary.png")));

        Report.write(RunDir.find(List.of(tmp.resolve("runs/ft"))), tmp.resolve("report-ft"));
        String ft = Files.readString(tmp.resolve("report-ft/tables.md"));
        // phase 1: 5 now, 90 when learned; phase 2: 8 (95); mean of old 6.5, newest 96, drop 86, forgetting 86
        assertTrue(
                ft.contains(
                        "| ft | task-agnostic CNN | 5.00 (90.00) | 8.00 (95.00) | 96.00 | 6.50 | 96.00 | 86.00 | 86.00 |"),
                ft);
        CilException e =
                assertThrows(CilException.class, () -> Report.write(runs, tmp.resolve("report-bad"), "train.nothing"));
        assertTrue(e.getMessage().contains("has no number at that key"), e.getMessage());
    }

    @Test
    void aFolderWithoutResultsIsRefused() throws Exception {
        Files.createDirectories(tmp.resolve("empty"));
        assertThrows(CilException.class, () -> RunDir.find(List.of(tmp.resolve("empty"))));
    }

    private static int count(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
            n++;
        }
        return n;
    }
}
