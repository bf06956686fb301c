"""The reviewer inbox: a web page and a JSON API for the people who decide waiting cases."""
