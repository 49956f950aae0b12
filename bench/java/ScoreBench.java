// The JVM baseline of bench:serve: h2o-genmodel's EasyPredictModelWrapper on one thread, scoring the
// same CSV rows as the TypeScript scorer (rows parsed into RowData before the clock starts, as the
// TypeScript side parses its records first). Compiled by bench/serve.bench.ts against the stack's h2o.jar.
//   java -cp h2o.jar:<dir> ScoreBench <mojo.zip> <rows.csv> <warmup passes> <timed passes>
import hex.genmodel.MojoModel;
import hex.genmodel.easy.EasyPredictModelWrapper;
import hex.genmodel.easy.RowData;
import hex.genmodel.easy.prediction.AbstractPrediction;
import java.io.BufferedReader;
import java.io.FileReader;
import java.util.ArrayList;
import java.util.List;

public class ScoreBench {
  public static void main(String[] args) throws Exception {
    EasyPredictModelWrapper model = new EasyPredictModelWrapper(
        new EasyPredictModelWrapper.Config().setModel(MojoModel.load(args[0])).setConvertUnknownCategoricalLevelsToNa(true));
    List<RowData> rows = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new FileReader(args[1]))) {
      String[] header = in.readLine().split(",", -1);
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] cells = line.split(",", -1);
        RowData row = new RowData();
        for (int i = 0; i < header.length && i < cells.length; i++) if (!cells[i].isEmpty()) row.put(header[i], cells[i]);
        rows.add(row);
      }
    }
    int warmup = Integer.parseInt(args[2]);
    int passes = Integer.parseInt(args[3]);
    double sink = 0;
    for (int p = 0; p < warmup; p++) sink += pass(model, rows);
    long start = System.nanoTime();
    for (int p = 0; p < passes; p++) sink += pass(model, rows);
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf("%.1f rows/s%n", rows.size() * (double) passes / seconds);
    if (sink == 42.4242) System.out.println("");
  }

  private static double pass(EasyPredictModelWrapper model, List<RowData> rows) throws Exception {
    double sum = 0;
    for (RowData row : rows) {
      AbstractPrediction p = model.predict(row);
      sum += p.hashCode() & 1;
    }
    return sum;
  }
}
