import Foundation

public enum QuarryCLI {
    public static func main() {
        print("quarry: not implemented yet")
        exit(2)
    }
}
