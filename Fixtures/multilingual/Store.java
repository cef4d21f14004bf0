package shop;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

public class Store {
    /** Open a connection to the PostgreSQL database with the given credentials. */
    public static Connection connectDatabase(String url, String user, String password) throws SQLException {
        return DriverManager.getConnection(url, user, password);
    }

    /** Compute the total price of a shopping cart including tax. */
    public static double cartTotal(double[] prices, double taxRate) {
        double sum = 0;
        for (double price : prices) {
            sum += price;
        }
        return sum * (1 + taxRate);
    }
}
