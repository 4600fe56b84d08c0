import Testing
@testable import CRI
