public enum RawSQLiteBenchmark { public static func insertRate(path: String, rows: Int, valueSize: Int, rowsPerTransaction: Int) throws -> Double { 0 } }
