import Commands

/// The process entry point: parses the command line and runs the chosen subcommand.
@main
enum Entry {
    static func main() async {
        await Swiftlet.main(nil)
    }
}
