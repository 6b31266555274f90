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
        RunDir icarl = Fixtures.write(tmp.resolve("runs/icarl"),
                Fixtures.run("icarl", List.of("method.name=icarl"), Fixtures.JOINT, Fixtures.FT2));
        RunDir other = Fixtures.write(tmp.resolve("runs/other"),
                Fixtures.run("ft-other-order", List.of("scenario.order=[0,1,2,3,4,5]"), Fixtures.FT2, null));

        assertEquals(2, Report.byScenario(List.of(ft, icarl, other)).size(), "another class order, another scenario");
        Path page = Report.write(RunDir.find(List.of(tmp.resolve("runs"))), tmp.resolve("report"));

        String html = Files.readString(page);
        assertEquals(2, count(html, "<section"));
        assertTrue(html.contains("different scenarios"));
        // 3 shared figures per section, 4 per run (matrix, training, two norm figures)
        assertEquals(3 + 4 * 2 + 3 + 4, count(html, "<img "));
        assertTrue(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"),
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
